// Word lists the seed draws names from. Plain data; see seed.mjs.

export const FIRST_NAMES = [
  'Aaliyah', 'Aaron', 'Abigail', 'Adam', 'Adebayo', 'Aditi', 'Adrian', 'Ahmed', 'Aisha', 'Akira', 'Alejandro', 'Alex',
  'Alexandra', 'Ali', 'Alice', 'Alicia', 'Amanda', 'Amara', 'Amelia', 'Amir', 'Ana', 'Anders', 'Andrea', 'Andrew',
  'Angela', 'Anika', 'Anna', 'Anthony', 'Arjun', 'Astrid', 'Ayşe', 'Beatriz', 'Ben', 'Benjamin', 'Bianca', 'Björn',
  'Brandon', 'Brian', 'Bruno', 'Camila', 'Carlos', 'Caroline', 'Catherine', 'Chen', 'Chloe', 'Chris', 'Christina',
  'Claire', 'Clara', 'Daniel', 'Daniela', 'David', 'Diana', 'Diego', 'Dmitri', 'Elena', 'Eli', 'Elif', 'Elijah',
  'Elizabeth', 'Ella', 'Emil', 'Emily', 'Emma', 'Eric', 'Ethan', 'Eva', 'Fatima', 'Felix', 'Fernando', 'Finn',
  'Francesca', 'François', 'Gabriel', 'Gabriela', 'Grace', 'Hana', 'Hannah', 'Hassan', 'Heidi', 'Henrik', 'Hiroshi',
  'Ian', 'Ingrid', 'Isabel', 'Isabella', 'Ivan', 'Jack', 'Jacob', 'James', 'Jana', 'Jasmine', 'Javier', 'Jennifer',
  'Jessica', 'Ji-woo', 'Joana', 'Joao', 'Jonas', 'Jordan', 'José', 'Joseph', 'Julia', 'Julian', 'Kai', 'Karim',
  'Katarzyna', 'Kate', 'Kenji', 'Kevin', 'Kofi', 'Laila', 'Lars', 'Laura', 'Lea', 'Leila', 'Leo', 'Liam', 'Lina',
  'Lucas', 'Lucia', 'Luis', 'Łukasz', 'Maja', 'Malik', 'Marco', 'Maria', 'Mariam', 'Mark', 'Marta', 'Mateo', 'Matteo',
  'Maya', 'Mehmet', 'Mei', 'Michael', 'Michelle', 'Miguel', 'Mila', 'Mohammed', 'Nadia', 'Naomi', 'Natalia', 'Nathan',
  'Nia', 'Nicolas', 'Nikhil', 'Nina', 'Noah', 'Nora', 'Olivia', 'Omar', 'Oscar', 'Pablo', 'Paul', 'Paula', 'Pedro',
  'Peter', 'Pia', 'Priya', 'Rachel', 'Rafael', 'Rahul', 'Rebecca', 'Riya', 'Robert', 'Rosa', 'Ryan', 'Sakura', 'Samuel',
  'Sara', 'Sarah', 'Sebastian', 'Sergio', 'Sofia', 'Søren', 'Sophie', 'Stefan', 'Sven', 'Tariq', 'Thomas', 'Tobias',
  'Tomás', 'Valentina', 'Victor', 'Wei', 'William', 'Xin', 'Yara', 'Yuki', 'Yusuf', 'Zainab', 'Zara', 'Zoë',
];

export const LAST_NAMES = [
  'Abbott', 'Adeyemi', 'Ahmed', 'Alvarez', 'Andersen', 'Bauer', 'Becker', 'Bennett', 'Bergström', 'Bianchi', 'Brooks',
  'Brown', 'Campbell', 'Carter', 'Castro', 'Chen', 'Clarke', 'Cohen', 'Collins', 'Costa', 'Cruz', 'Da Silva', 'Davies',
  'Demir', 'Diaz', 'Dubois', 'Dupont', 'Edwards', 'Eriksson', 'Evans', 'Fernandes', 'Fischer', 'Fitzgerald', 'Fontaine',
  'Foster', 'Garcia', 'Gomez', 'Gonzalez', 'Gray', 'Greene', 'Gupta', 'Hall', 'Hansen', 'Harris', 'Hartmann', 'Hayes',
  'Hernandez', 'Hoffmann', 'Hughes', 'Ibrahim', 'Ito', 'Jackson', 'Jansen', 'Jensen', 'Johansson', 'Johnson', 'Jones',
  'Kaur', 'Kelly', 'Khan', 'Kim', 'King', 'Klein', 'Kowalski', 'Kumar', 'Larsen', 'Laurent', 'Lee', 'Lewis', 'Li',
  'Lindqvist', 'Lopez', 'Martin', 'Martinez', 'Mendes', 'Meyer', 'Miller', 'Mitchell', 'Moreau', 'Morgan', 'Müller',
  'Murphy', 'Nakamura', 'Nguyen', 'Nielsen', 'Novak', "O'Brien", 'Okafor', 'Oliveira', 'Olsen', 'Owusu', 'Park',
  'Patel', 'Pereira', 'Petrov', 'Phillips', 'Popescu', 'Quinn', 'Ramirez', 'Reddy', 'Reyes', 'Richter', 'Rivera',
  'Roberts', 'Rodriguez', 'Romano', 'Rossi', 'Russo', 'Sato', 'Schmidt', 'Schneider', 'Schulz', 'Scott', 'Shah',
  'Silva', 'Singh', 'Smith', 'Sørensen', 'Suzuki', 'Tanaka', 'Taylor', 'Thompson', 'Torres', 'Turner', 'van Dijk',
  'Vargas', 'Walker', 'Wang', 'Watanabe', 'Weber', 'White', 'Williams', 'Wilson', 'Wójcik', 'Wright', 'Wu', 'Yamamoto',
  'Yilmaz', 'Young', 'Zhang', 'Zimmermann',
];

// Weighted [domain, weight] pairs for personal addresses.
export const FREE_MAIL_DOMAINS = [
  ['gmail.com', 40], ['outlook.com', 10], ['hotmail.com', 5], ['yahoo.com', 6], ['icloud.com', 7], ['proton.me', 5],
  ['fastmail.com', 2], ['hey.com', 2], ['gmx.de', 3], ['web.de', 2], ['t-online.de', 1], ['orange.fr', 2],
  ['free.fr', 1], ['libero.it', 1], ['btinternet.com', 1], ['mail.com', 1], ['aol.com', 1], ['zoho.com', 1],
  ['qq.com', 1], ['naver.com', 1], ['yandex.com', 1], ['live.nl', 1],
];

export const COMPANY_PREFIXES = [
  'North', 'Blue', 'Silver', 'Bright', 'Red', 'Iron', 'Oak', 'Cedar', 'Maple', 'Stone', 'River', 'Summit', 'Harbor',
  'Golden', 'Clear', 'Swift', 'Quiet', 'Bold', 'True', 'Open', 'Lumen', 'Nova', 'Vector', 'Pixel', 'Atlas', 'Orbit',
  'Echo', 'Polar', 'Crimson', 'Amber', 'Indigo', 'Copper', 'Granite', 'Willow', 'Falcon', 'Fox', 'Otter', 'Wren',
  'Lark', 'Juniper', 'Sage', 'Meadow', 'Canyon', 'Prairie', 'Tidal', 'Solar', 'Lunar', 'Kite', 'Anchor', 'Beacon',
  'Cobalt', 'Ember', 'Fern', 'Glacier', 'Hollow', 'Jade', 'Keystone', 'Linden', 'Mesa', 'Nimbus', 'Onyx', 'Pine',
];

export const COMPANY_STEMS = [
  'wind', 'field', 'stone', 'bridge', 'works', 'forge', 'point', 'line', 'wave', 'leaf', 'peak', 'ridge', 'gate',
  'path', 'light', 'craft', 'mark', 'spark', 'stack', 'loop', 'ware', 'scale', 'yard', 'hive', 'brook', 'crest',
  'dale', 'fold', 'haven', 'shore',
];

export const COMPANY_KINDS = [
  'Labs', 'Analytics', 'Logistics', 'Health', 'Studio', 'Systems', 'Software', 'Partners', 'Group', 'Media',
  'Robotics', 'Capital', 'Foods', 'Energy', 'Design', 'Consulting', 'Collective', 'Digital', 'Bio', 'Security',
  'Cloud', 'Learning', 'Travel', 'Legal', 'Ventures', 'Apparel', 'Games', 'Mobility', 'Insurance', 'Realty',
  'Architects', 'Dental', 'Coffee', 'Outdoors', 'Events', 'Research',
];

// [legal suffix, top-level domain choices, billed in euros?, weight]
export const LEGAL_FORMS = [
  ['Inc', ['com', 'io', 'co', 'com'], false, 22],
  ['', ['com', 'io', 'app', 'dev', 'co', 'ai'], false, 40],
  ['LLC', ['com', 'us', 'co'], false, 8],
  ['Ltd', ['co.uk', 'io', 'com'], false, 8],
  ['GmbH', ['de', 'de', 'at', 'ch'], true, 9],
  ['SAS', ['fr'], true, 4],
  ['BV', ['nl'], true, 3],
  ['AB', ['se'], true, 2],
  ['S.L.', ['es'], true, 2],
  ['Srl', ['it'], true, 2],
];
